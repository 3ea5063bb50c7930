# Drives lessor's database mount with hvac's own database methods (Debian's python3-hvac),
# unchanged, for hvac.test.ts. Usage: python3 hvac_database.py <url> <token> <json setup>;
# prints one JSON object with what hvac got back.
import json
import sys

import hvac

url, token, setup = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = hvac.Client(url=url, token=token)
db = client.secrets.database
out = {}

cfg = setup["config"]
db.configure(
    name="pg",
    plugin_name="postgresql-database-plugin",
    verify_connection=True,
    allowed_roles=["reader", "static"],
    connection_url=cfg["connection_url"],
    username=cfg["username"],
    password=cfg["password"],
    username_template=cfg["username_template"],
)
out["config"] = db.read_connection(name="pg")["data"]
db.create_role(name="reader", db_name="pg", creation_statements=setup["creation_statements"], default_ttl=600, max_ttl=3600)
out["role"] = db.read_role(name="reader")["data"]
creds = db.generate_credentials(name="reader")
out["creds"] = {"lease_id": creds["lease_id"], "lease_duration": creds["lease_duration"], **creds["data"]}
renewed = client.sys.renew_lease(creds["lease_id"], increment=1200)
out["renewed"] = renewed["lease_duration"]

db.create_static_role(name="static", db_name="pg", username=setup["static_user"], rotation_statements=[], rotation_period=3600)
out["static"] = db.get_static_credentials(name="static")["data"]

db.rotate_root_credentials(name="pg")
out["after_rotate_root"] = db.generate_credentials(name="reader")["data"]

try:
    db.configure(name="bad", plugin_name="postgresql-database-plugin", connection_url=cfg["connection_url"],
                 username=cfg["username"], password="wrong-password", allowed_roles=["reader"])
    out["bad_config"] = "accepted"
except hvac.exceptions.InvalidRequest as err:
    out["bad_config"] = str(err)

client.sys.revoke_lease(creds["lease_id"])
print(json.dumps(out))

# Drives lessor's lease API with hvac (Debian's python3-hvac), unchanged, for hvac.test.ts.
# Usage: python3 hvac_leases.py <url> <token>; prints one JSON object with what hvac saw.
import json
import sys

import hvac

url, token = sys.argv[1], sys.argv[2]
client = hvac.Client(url=url, token=token)
out = {}

cred = client.read("fake/creds/app")
lease_id = cred["lease_id"]
out["issued"] = {"lease_id": lease_id, "lease_duration": cred["lease_duration"], "username": cred["data"]["username"]}
out["lookup"] = client.sys.read_lease(lease_id)["data"]
renewed = client.sys.renew_lease(lease_id, increment=90)
out["renew"] = {k: renewed[k] for k in ("lease_id", "lease_duration", "renewable")}
# hvac sends "increment": null when none is given.
out["renew_default"] = client.sys.renew_lease(lease_id)["lease_duration"]
out["list"] = client.sys.list_leases("fake/creds/app")["data"]["keys"]
resp = client.sys.revoke_lease(lease_id)
out["revoke_status"] = getattr(resp, "status_code", None)
try:
    client.sys.read_lease(lease_id)
    out["lookup_after_revoke"] = "still there"
except hvac.exceptions.InvalidRequest as err:
    out["lookup_after_revoke"] = str(err)

second = client.read("fake/creds/app")["lease_id"]
resp = client.sys.revoke_prefix("fake/creds/app")
out["revoke_prefix_status"] = getattr(resp, "status_code", None)
out["second"] = second
print(json.dumps(out))

# Asks lessor what `vault status`, `vault secrets list` and `vault auth list` ask, through hvac
# (Debian's python3-hvac), unchanged, and a mount's tune (`vault secrets tune` reads it first). Usage: python3 hvac_status.py <url> <token>; prints JSON.
import json
import sys

import hvac

url, token = sys.argv[1], sys.argv[2]
client = hvac.Client(url=url, token=token)
out = {
    "is_sealed": client.sys.is_sealed(),
    "is_initialized": client.sys.is_initialized(),
    "seal_status": client.sys.read_seal_status(),
    "leader": client.sys.read_leader_status(),
    "mounts": sorted(client.sys.list_mounted_secrets_engines()["data"].keys()),
    "auth": sorted(client.sys.list_auth_methods()["data"].keys()),
    "authenticated": client.is_authenticated(),
    "database_tune": client.sys.read_mount_configuration(path="database")["data"],
}
print(json.dumps(out))

#!/usr/bin/env python3
"""Writes or updates the dynamic-security file of Mosquitto's dynsec plugin for the IOC.

    python3 deploy/mosquitto/dynsec-init.py DYNSEC_FILE CREDENTIALS_JSON

CREDENTIALS_JSON is {"ioc": PASSWORD, "GATEWAY-CODE": PASSWORD, ...}. Run it while the broker is
stopped: the plugin reads the file at start and rewrites it on every change it is asked for.

- Default access: everything not granted is denied (publish, receive, subscribe, unsubscribe).
- Role `ioc` (rewritten each time): subscribe to and receive ioc/v1/#; send dynamic-security
  commands to $CONTROL/dynamic-security/v1 and read the answers on .../v1/response. Nothing else:
  no publishing of readings, no $SYS.
- Client `ioc` with that role: created with the file's password when missing; an existing one
  keeps its password.
- Every other key of CREDENTIALS_JSON is a gateway: role `gateway-CODE` that may publish only
  under ioc/v1/CODE/#, and client CODE with that role. Created when missing; an existing client
  (whose password `ioc gateway rotate` may have changed) is left alone.
"""
import base64
import hashlib
import json
import os
import re
import secrets
import sys

ITERATIONS = 101  # what mosquitto_ctrl dynsec init and the plugin itself use
CODE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def hashed(password):
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, ITERATIONS)
    return {
        "password": base64.b64encode(digest).decode("ascii"),
        "salt": base64.b64encode(salt).decode("ascii"),
        "iterations": ITERATIONS,
    }


def acl(kind, topic):
    return {"acltype": kind, "topic": topic, "priority": 0, "allow": True}


IOC_ROLE = {
    "rolename": "ioc",
    "textname": "The IOC: reads ioc/v1/#, administers dynamic security",
    "acls": [
        acl("subscribePattern", "ioc/v1/#"),
        acl("publishClientReceive", "ioc/v1/#"),
        acl("unsubscribePattern", "ioc/v1/#"),
        acl("publishClientSend", "$CONTROL/dynamic-security/v1"),
        acl("subscribeLiteral", "$CONTROL/dynamic-security/v1/response"),
        acl("publishClientReceive", "$CONTROL/dynamic-security/v1/response"),
        acl("unsubscribeLiteral", "$CONTROL/dynamic-security/v1/response"),
    ],
}


def gateway_role(code):
    return {"rolename": f"gateway-{code}", "textname": f"Gateway {code}: publishes under ioc/v1/{code}/",
            "acls": [acl("publishClientSend", f"ioc/v1/{code}/#")]}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: dynsec-init.py DYNSEC_FILE CREDENTIALS_JSON")
    path, credentials_path = sys.argv[1], sys.argv[2]
    with open(credentials_path, encoding="utf-8") as f:
        credentials = json.load(f)
    if not isinstance(credentials.get("ioc"), str) or not credentials["ioc"]:
        sys.exit(f"dynsec-init: {credentials_path} has no password for ioc")
    for code in credentials:
        if code != "ioc" and not CODE.match(code):
            sys.exit(f"dynsec-init: '{code}' cannot be a gateway code (letters, digits, . _ - only)")

    config = {"clients": [], "roles": [], "groups": []}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    clients = {c["username"]: c for c in config.get("clients", [])}
    roles = {r["rolename"]: r for r in config.get("roles", [])}

    roles["ioc"] = IOC_ROLE
    if "ioc" not in clients:
        clients["ioc"] = {"username": "ioc", "textname": "The IOC", **hashed(credentials["ioc"])}
    clients["ioc"]["roles"] = [{"rolename": "ioc"}]
    for code, password in credentials.items():
        if code == "ioc":
            continue
        roles.setdefault(f"gateway-{code}", gateway_role(code))
        if code not in clients:
            clients[code] = {"username": code, "textname": f"Gateway {code}",
                             "roles": [{"rolename": f"gateway-{code}"}], **hashed(password)}

    config["clients"] = list(clients.values())
    config["roles"] = list(roles.values())
    config.setdefault("groups", [])
    config["defaultACLAccess"] = {
        "publishClientSend": False,
        "publishClientReceive": False,
        "subscribe": False,
        "unsubscribe": False,
    }
    tmp = path + ".tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()

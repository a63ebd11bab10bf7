#!/usr/bin/python3
"""Find a UPnP device with a real GSSDP/GUPnP 1.6 control point and print its description.

usage: gupnp_find.py <interface> <device-type> <timeout-seconds>
Prints one JSON object (friendlyName, udn, modelNumber, modelName, manufacturer, location,
deviceType) for the first device found and exits 0; exits 2 on timeout.
"""
import json
import sys

import gi

gi.require_version("GSSDP", "1.6")
gi.require_version("GUPnP", "1.6")
from gi.repository import GLib, GUPnP  # noqa: E402

iface, target, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
loop = GLib.MainLoop()
result = {}


def on_available(_cp, proxy):
    result.update(
        friendlyName=proxy.get_friendly_name(),
        udn=proxy.get_udn(),
        modelNumber=proxy.get_model_number(),
        modelName=proxy.get_model_name(),
        manufacturer=proxy.get_manufacturer(),
        location=proxy.get_location(),
        deviceType=proxy.get_device_type(),
    )
    loop.quit()


ctx = GUPnP.Context.new(iface, 0)
cp = GUPnP.ControlPoint.new(ctx, target)
cp.connect("device-proxy-available", on_available)
cp.set_active(True)
GLib.timeout_add(int(timeout * 1000), loop.quit)
loop.run()
if not result:
    print(f"no {target} found on {iface} within {timeout}s", file=sys.stderr)
    sys.exit(2)
print(json.dumps(result))

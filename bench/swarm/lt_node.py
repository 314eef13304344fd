#!/usr/bin/python3
"""One libtorrent node of the swarm benchmark: a seeder or a peer, run inside a network namespace.

Writes a JSON result file when the download is verified (peers) and again, with final counters,
when it is told to stop (SIGTERM, or the stop file appears). Network rules: no DHT, LSD, UPnP,
NAT-PMP or PEX (no default plugins); listens and connects only on the given address.
"""
import argparse
import json
import os
import signal
import sys
import time

import libtorrent as lt


def settings_for(preset, address, port):
    base = lt.high_performance_seed() if preset == "high_performance_seed" else lt.default_settings()
    base.update({
        "listen_interfaces": f"{address}:{port}",
        "outgoing_interfaces": address,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
        | lt.alert.category_t.piece_progress_notification,
    })
    return base


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["seed", "peer"], required=True)
    parser.add_argument("--torrent", required=True)
    parser.add_argument("--save", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=6881)
    parser.add_argument("--preset", choices=["default", "high_performance_seed"], default="default")
    parser.add_argument("--result", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    started = time.time()
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("now", True))
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__("now", True))

    # flags=0: no default plugins (ut_pex, ut_metadata, smart_ban), so no PEX.
    session = lt.session(settings_for(args.preset, args.address, args.port), 0)
    info = lt.torrent_info(args.torrent)
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = args.save
    handle = session.add_torrent(params)

    result = {"engine": "libtorrent-" + args.preset, "role": args.role, "startedAt": started,
              "firstPieceAt": None, "verifiedAt": None}

    def write():
        status = handle.status()
        result.update({
            "received": status.total_payload_download,
            "uploaded": status.total_payload_upload,
            "wasted": status.total_failed_bytes + status.total_redundant_bytes,
            "peers": status.num_peers,
        })
        temp = args.result + ".tmp"
        with open(temp, "w") as output:
            json.dump(result, output)
        os.replace(temp, args.result)

    deadline = started + args.timeout
    while not stop["now"] and time.time() < deadline and not os.path.exists(args.stop_file):
        session.wait_for_alert(100)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.piece_finished_alert) and result["firstPieceAt"] is None:
                result["firstPieceAt"] = time.time()
            elif isinstance(alert, lt.torrent_finished_alert) and args.role == "peer" and result["verifiedAt"] is None:
                result["verifiedAt"] = time.time()
                write()
            elif isinstance(alert, lt.torrent_error_alert):
                print("error:", alert.message(), file=sys.stderr)
    write()
    session.remove_torrent(handle)


if __name__ == "__main__":
    main()

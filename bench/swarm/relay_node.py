#!/usr/bin/python3
"""One node of the benchmark's relay chain: what this machine's network and kernel allow at best.

Not a BitTorrent engine: the seeder streams the artifact (sendfile) to the first peer, and every peer
writes what it receives to its file and passes it on to the next peer at once (seed -> p01 -> p02 ->
... -> pN). Every host uploads F once and downloads F once, which is the fluid bound's schedule, with
no protocol, no hashing and no choice to make: its completion time and CPU per GB are the floor any
engine can reach in the same network on the same cores. Connects and listens only on the given
addresses; stops by itself at the deadline or when the stop file appears.
"""
import argparse
import json
import os
import socket
import sys
import time

BUFFER = 1 << 20


def write_result(path, result):
    temp = path + ".tmp"
    with open(temp, "w") as output:
        json.dump(result, output)
    os.replace(temp, path)


def connect(address, port, deadline):
    while True:
        try:
            return socket.create_connection((address, port), timeout=5)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["seed", "peer"], required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=6881)
    parser.add_argument("--file", required=True, help="seed: the artifact; peer: where to write it")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--upstream", help="peer: the address of the node before it")
    parser.add_argument("--last", action="store_true", help="peer: no node after it")
    parser.add_argument("--piece", type=int, default=256 * 1024, help="bytes that count as the first piece")
    parser.add_argument("--result", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    started = time.time()
    deadline = started + args.timeout
    result = {"engine": "relay-chain", "role": args.role, "startedAt": started, "firstPieceAt": None,
              "verifiedAt": None, "received": 0, "uploaded": 0, "wasted": 0}

    downstream = None
    if args.role == "seed" or not args.last:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.address, args.port))
        listener.listen(1)
        listener.settimeout(max(1.0, deadline - time.time()))
        downstream, _ = listener.accept()
        downstream.settimeout(None)
        listener.close()

    if args.role == "seed":
        with open(args.file, "rb") as source:
            offset = 0
            while offset < args.size:
                sent = os.sendfile(downstream.fileno(), source.fileno(), offset, args.size - offset)
                if sent == 0:
                    break
                offset += sent
        result["uploaded"] = offset
        downstream.shutdown(socket.SHUT_WR)
    else:
        upstream = connect(args.upstream, args.port, deadline)
        upstream.settimeout(None)
        buffer = bytearray(BUFFER)
        view = memoryview(buffer)
        received = 0
        with open(args.file, "wb") as output:
            while received < args.size:
                count = upstream.recv_into(buffer)
                if count == 0:
                    break
                output.write(view[:count])
                if downstream is not None:
                    downstream.sendall(view[:count])
                    result["uploaded"] += count
                received += count
                if result["firstPieceAt"] is None and received >= min(args.piece, args.size):
                    result["firstPieceAt"] = time.time()
        result["received"] = received
        if received == args.size:
            result["verifiedAt"] = time.time()
        if downstream is not None:
            downstream.shutdown(socket.SHUT_WR)
        upstream.close()
    write_result(args.result, result)

    # Stay (like the other engines' lingering nodes) until told to stop, so the run ends alike.
    while time.time() < deadline and not os.path.exists(args.stop_file):
        time.sleep(0.2)
    if downstream is not None:
        downstream.close()
    write_result(args.result, result)
    return 0 if args.role == "seed" or result["verifiedAt"] else 1


if __name__ == "__main__":
    sys.exit(main())

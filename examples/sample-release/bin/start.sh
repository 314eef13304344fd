#!/bin/sh
# The release's entry point: what a deploy would start on every server.
echo "sample release $(cat "$(dirname "$0")/../VERSION") running on $(hostname)"

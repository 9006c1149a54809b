#!/bin/sh
# drbd-sentinel: the bundled program run by the system's Node.js (>= 20).
exec /usr/bin/node /usr/lib/drbd-sentinel/dist/bundle/drbd-sentinel.mjs "$@"

#!/bin/sh
# The guest end of the lab's command channel, shared by the busybox initramfs (sourced by init) and
# the systemd image (lab-agent.service). Needs sh, stty, base64, timeout, tr.
# The command channel. Request: "CMD <id> <timeout-s> <base64 script>\n". Reply:
# "@@BEGIN <id> <rc>\n<base64 stdout>\n<base64 stderr>\n@@END <id>\n". The shell keeps /dev/hvc0 open
# itself (the hvc driver resets the tty on last close) and puts it in raw mode (no echo, no line limit).
agent() {
  exec </dev/hvc0 >/dev/hvc0 2>/dev/null
  stty raw -echo
  while read -r verb id tmo b64; do
    [ "$verb" = CMD ] || continue
    f=/tmp/agent/$id
    echo "$b64" | base64 -d >"$f.sh"
    timeout -s KILL "$tmo" sh "$f.sh" </dev/null >"$f.out" 2>"$f.err"
    rc=$?
    echo "@@BEGIN $id $rc"
    base64 "$f.out" | tr -d '\n'
    echo
    base64 "$f.err" | tr -d '\n'
    echo
    echo "@@END $id"
    rm -f "$f.sh" "$f.out" "$f.err"
  done
}
mkdir -p /tmp/agent
while :; do agent; sleep 0.2; done

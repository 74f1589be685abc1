#!/bin/sh
# End to end: slow and half-open clients cannot exhaust `courtrules serve`.
# From 127.0.0.1, 40 connections send headers and then trickle a body one
# byte every 0.2 s (never idle), and 120 more send half a request line and
# stall (slowloris); meanwhile a client from another loopback address
# (127.0.0.2) is answered, the connections beyond --per-ip are refused, and
# the server closes the stalled ones after --timeout (2 s) and the trickling
# ones after 4 times that.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/serve_lib.sh"

cr init
start_serve "$T/serve.log" "$DB" "$SRC/rules" --per-ip 100 --max-connections 300 --timeout 2 \
    || { fail "daemon starts"; cat "$T/serve.log"; finish; }
PORT=${URL##*:}

# slow.py: opens the connections, reports how many the server accepted and
# kept, then waits and reports how many the server closed.
cat >"$T/slow.py" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
conns = []
for i in range(160):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        if i >= 40:
            s.sendall(b"GET /healthz HT")            # half a request line, then nothing
        else:                                        # a body trickled a byte at a time
            s.sendall(b"POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{")
        conns.append(s)
    except OSError:
        pass
print("opened", len(conns), flush=True)
open(sys.argv[2], "w").write("ready\n")
time.sleep(0.5)
def closed(s):
    try:
        s.setblocking(False)
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
refused = sum(1 for s in conns if closed(s))   # over --per-ip: closed at once
print("refused", refused, flush=True)
deadline = time.time() + 30                    # a bound against hanging only
while time.time() < deadline:
    for s in conns[:40]:
        try:
            s.setblocking(True); s.settimeout(0.01); s.send(b" ")   # trickle
        except OSError:
            pass
    if sum(1 for s in conns if closed(s)) == len(conns):
        break
    time.sleep(0.2)
print("closed", sum(1 for s in conns if closed(s)), "of", len(conns), flush=True)
EOF
python3 "$T/slow.py" "$PORT" "$T/ready" >"$T/slow.out" 2>&1 &
SLOW=$!
n=0
while [ ! -s "$T/ready" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done

CODE=$(curl -s -o "$T/body" -w '%{http_code}' --interface 127.0.0.2 --max-time 10 "$URL/healthz")
expect_eq "$CODE" 200 "another client is answered while 160 connections stall"
CODE=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 --max-time 10 \
    -d '[]' "$URL/v1/records")
expect_eq "$CODE" 401 "and its requests are handled (401 without a token)"

wait "$SLOW"
cat "$T/slow.out" | sed 's/^/    | /'
REFUSED=$(awk '/^refused/ { print $2 }' "$T/slow.out")
[ "${REFUSED:-0}" -ge 50 ] && ok "connections over --per-ip 100 are refused ($REFUSED of 160)" \
    || fail "only ${REFUSED:-0} connections over --per-ip were refused"
expect_in "$T/slow.out" "closed 160 of 160" "the server closed every stalled or trickling connection after --timeout"
CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/healthz")
expect_eq "$CODE" 200 "afterwards 127.0.0.1 is served again"
stop_serve
expect_status 0 "SIGTERM"
finish

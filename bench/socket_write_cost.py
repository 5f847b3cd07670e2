"""What one display.state write costs per screen, by frame size: 1,000 loopback TCP sockets, the
reader in another process, the sender's CPU time per socket write.

Asks whether smaller display.states (deltas) would make the fan-out round cheaper: issue 11
suggested measuring deltas against full frames. The sizes are the month-end day's measured
display.state (p50 1,964 bytes) and a delta of only what changed (p50 608 bytes).

    .venv/bin/python bench/socket_write_cost.py
"""
import os, socket, sys, time, selectors, multiprocessing as mp

N = 1000
def reader(port, ready):
    sel = selectors.DefaultSelector()
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(N)]
    for s in socks: s.setblocking(False); sel.register(s, selectors.EVENT_READ)
    ready.set()
    while True:
        for key, _ in sel.select(1.0):
            try:
                if not key.fileobj.recv(1 << 16): return
            except BlockingIOError: pass

def main():
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); srv.bind(("127.0.0.1", 0)); srv.listen(N)
    port = srv.getsockname()[1]; ready = mp.Event()
    p = mp.Process(target=reader, args=(port, ready)); p.start()
    conns = [srv.accept()[0] for _ in range(N)]
    for c in conns: c.setblocking(False); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ready.wait()
    for size in (600, 1964, 600, 1964):
        frame = b"x" * size
        rounds = 60
        t = time.process_time(); w = time.perf_counter()
        for _ in range(rounds):
            for c in conns: c.send(frame)
            time.sleep(0.03)
        cpu = time.process_time() - t
        print(f"{size:5d} B: {cpu / rounds / N * 1e6:.1f} us CPU per socket write (sender process)")
    for c in conns: c.close()
    p.join(5)
main()

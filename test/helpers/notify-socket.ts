import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './wait.js';

/** One datagram as systemd would read it: its fields and the sender's PID from SCM_CREDENTIALS. */
export interface NotifyMessage {
  fields: string[];
  pid: number;
}

export interface NotifyReceiver {
  /** The socket path to hand over as NOTIFY_SOCKET. */
  path: string;
  messages: NotifyMessage[];
  stop(): Promise<void>;
}

// Node cannot read unix datagrams; python3 (on every machine of this project's kind) plays systemd's
// end of the socket, with SO_PASSCRED on as systemd has it, so the sender's PID is the kernel's word.
const RECEIVER = `
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print(json.dumps({"listening": True}), flush=True)
while True:
    data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = 0
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
    print(json.dumps({"fields": data.decode().split("\\n"), "pid": pid}), flush=True)
`;

/** A NOTIFY_SOCKET receiver in `dir`, recording every message it gets. */
export async function startNotifyReceiver(dir: string): Promise<NotifyReceiver> {
  const path = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: NotifyMessage[] = [];
  let listening = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as NotifyMessage | { listening: true };
    if ('listening' in parsed) listening = true;
    else messages.push({ fields: parsed.fields.filter((f) => f !== ''), pid: parsed.pid });
  });
  await waitFor(() => listening, { what: 'the notify socket receiver to listen' });
  return {
    path,
    messages,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { devServerArgs, startDevServer, type DevServer } from '../src/temporal/dev-server';
import { embeddedServerOptions } from '../src/temporal/embedded-server';
import { freePort } from '../src/temporal/free-port';
import { describeOnDevServer, testEnv } from './support/temporal-env';

/** The process and its descendants (the launcher runs the server under a small sh watchdog). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** Every TCP socket the processes listen on, as `address:port` read from /proc/net/tcp{,6}. */
function listeningSockets(pids: number[]): Array<{ address: string; port: number }> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    }
  }
  const sockets: Array<{ address: string; port: number }> = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1]!, fields[3]!, fields[9]!];
      if (state !== '0A' || !inodes.has(inode)) continue; // 0A = LISTEN
      const [hex, port] = local.split(':') as [string, string];
      sockets.push({ address: hexAddress(hex), port: parseInt(port, 16) });
    }
  }
  return sockets;
}

/** /proc/net/tcp writes addresses as host-order 32-bit words. */
function hexAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((word) => Buffer.from(word, 'hex').reverse());
  if (words.length === 1) return [...words[0]!].join('.');
  const bytes = Buffer.concat(words);
  if (bytes.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]))) return [...bytes.subarray(12)].join('.');
  return (bytes.toString('hex').match(/.{4}/g) ?? []).map((group) => group.replace(/^0+(?=.)/, '')).join(':');
}

const isLoopback = (address: string) => address.startsWith('127.') || address === '0:0:0:0:0:0:0:1';

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((info) => info && info.family === 'IPv4' && !info.internal)?.address;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    const done = (connected: boolean) => {
      socket.destroy();
      resolve(connected);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

describeOnDevServer('the embedded server binds to loopback', 'it starts dev servers of its own', function () {
  this.timeout(120_000);
  let dir: string;
  let server: DevServer | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-loopback-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const configWith = async (env: Record<string, string> = {}) =>
    loadConfig({
      TEMPORAL_CLI_PATH: testEnv().cliPath,
      JOBLINE_DATA_DIR: path.join(dir, String(Math.random())),
      JOBLINE_TEMPORAL_PORT: String(await freePort()),
      JOBLINE_TEMPORAL_UI_PORT: String(await freePort()),
      JOBLINE_TEMPORAL_METRICS_PORT: String(await freePort()),
      JOBLINE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      ...env,
    });

  it('listens for gRPC, the Web UI and metrics on 127.0.0.1 only, as npm start runs it', async () => {
    const config = await configWith();
    const options = embeddedServerOptions(config, 'http://127.0.0.1:3000');
    const args = devServerArgs(options);
    assert.equal(args[args.indexOf('--ip') + 1], '127.0.0.1');
    assert.equal(args[args.indexOf('--ui-codec-endpoint') + 1], 'http://127.0.0.1:3000/codec');
    server = await startDevServer(options);

    const sockets = listeningSockets(processTree(server.pid));
    const ports = sockets.map((socket) => socket.port);
    for (const port of [config.embedded.port, config.embedded.uiPort, config.embedded.metricsPort]) {
      assert.ok(ports.includes(port), `something listens on ${port}: ${JSON.stringify(sockets)}`);
    }
    assert.deepEqual(
      sockets.filter((socket) => !isLoopback(socket.address)),
      [],
      'every listening socket of the server is on loopback',
    );
    const external = externalAddress();
    if (external) {
      for (const port of [config.embedded.port, config.embedded.uiPort, config.embedded.metricsPort]) {
        assert.equal(await connects(external, port), false, `${external}:${port} is not reachable`);
      }
    }
  });

  it('control: with JOBLINE_TEMPORAL_IP=0.0.0.0 the same check sees a wildcard socket', async () => {
    const config = await configWith({ JOBLINE_TEMPORAL_IP: '0.0.0.0' });
    server = await startDevServer(embeddedServerOptions(config, 'http://127.0.0.1:3000'));
    const sockets = listeningSockets(processTree(server.pid));
    assert.ok(
      sockets.some((socket) => socket.port === config.embedded.port && !isLoopback(socket.address)),
      JSON.stringify(sockets),
    );
    const external = externalAddress();
    if (external) assert.equal(await connects(external, config.embedded.port), true);
  });
});

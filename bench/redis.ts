import { spawnSync } from 'node:child_process';
import net from 'node:net';

export interface RedisTarget {
  host: string;
  port: number;
}

/** Sends one inline command and resolves with the first reply line, or undefined if nothing answers. */
export function redisCommand(target: RedisTarget, command: string, timeoutMs = 1_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(target.port, target.host);
    let reply = '';
    const done = (value: string | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.split('\r\n')[0]);
    });
    socket.once('end', () => done(reply || undefined));
  });
}

export interface RedisHandle {
  /** True if the bench started it (and so stops it at the end). */
  startedHere: boolean;
  stop(): Promise<void>;
}

/** Uses the Redis on host:port, starting a throw-away one (no persistence) if nothing answers there. */
export async function ensureRedis(target: RedisTarget): Promise<RedisHandle> {
  if ((await redisCommand(target, 'PING')) === '+PONG') return { startedHere: false, stop: async () => {} };
  const started = spawnSync(
    'redis-server',
    ['--daemonize', 'yes', '--bind', target.host, '-::1', '--port', String(target.port), '--save', '', '--appendonly', 'no'],
    { encoding: 'utf8' },
  );
  if (started.error || started.status !== 0) {
    throw new Error(
      `Redis is not running at ${target.host}:${target.port} and redis-server could not start: ${started.error?.message ?? started.stderr}`,
    );
  }
  for (let i = 0; i < 50; i++) {
    if ((await redisCommand(target, 'PING')) === '+PONG') {
      return {
        startedHere: true,
        stop: async () => {
          await redisCommand(target, 'SHUTDOWN NOSAVE');
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`redis-server started but does not answer at ${target.host}:${target.port}`);
}

/** The server's pid, from INFO server. */
export async function redisPid(target: RedisTarget): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(target.port, target.host);
    let reply = '';
    const done = (value: number | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1_000, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const match = /process_id:(\d+)/.exec(reply);
      if (match) done(Number(match[1]));
    });
  });
}

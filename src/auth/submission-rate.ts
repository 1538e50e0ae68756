import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../logger';
import type { Principal } from './principal';

/** What one submission did to its key's budget, in the units the RateLimit headers use. */
export interface RateDecision {
  allowed: boolean;
  /** The window's quota (`q`) and length in seconds (`w`). */
  quota: number;
  windowSeconds: number;
  /** Submissions left in this window (`r`). */
  remaining: number;
  /** Seconds until the window resets (`t`), at least 1. */
  resetSeconds: number;
}

/**
 * Submissions per key, each key with the window its key-file record sets (`rateLimit`). In memory for one
 * API process; in Redis (JOBLINE_REDIS_URL) so that several API processes share one budget per key. A Redis
 * that does not answer falls back to the in-memory count of this process rather than refusing or waving
 * every submission through.
 */
export class SubmissionRateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly redis?: Redis;

  constructor(options: { redisUrl?: string; logger?: Logger } = {}) {
    if (options.redisUrl) {
      // Commands wait while the client (re)connects, but fail after one reconnect attempt, so a Redis that
      // is away costs a submission a moment and then the insurance limiter counts it in memory.
      this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
      const log = options.logger;
      let reported = false;
      this.redis.on('error', (err: Error) => {
        if (!reported) log?.warn({ err: { message: err.message } }, 'rate limit store (Redis) unavailable; counting in memory');
        reported = true;
      });
      this.redis.on('ready', () => {
        reported = false;
      });
    }
  }

  get store(): 'memory' | 'redis' {
    return this.redis ? 'redis' : 'memory';
  }

  /** Counts one submission of the principal's key; undefined when the key has no rate limit. */
  async consume(principal: Principal): Promise<RateDecision | undefined> {
    const limit = principal.rateLimit;
    if (!limit) return undefined;
    const limiter = this.limiterFor(limit.requests, limit.perSeconds);
    const decide = (res: RateLimiterRes, allowed: boolean): RateDecision => ({
      allowed,
      quota: limit.requests,
      windowSeconds: limit.perSeconds,
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    });
    try {
      return decide(await limiter.consume(principal.keyId), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return decide(rejection, false);
      throw rejection;
    }
  }

  async close(): Promise<void> {
    if (this.redis) this.redis.disconnect();
  }

  /**
   * One limiter per window shape: a key whose limit changes in the key file moves to a fresh count. The
   * prefix names the shape, so every API process sharing Redis counts a key in the same place.
   */
  private limiterFor(points: number, duration: number): RateLimiterAbstract {
    const keyPrefix = `jobline:submit:${points}/${duration}`;
    let limiter = this.limiters.get(keyPrefix);
    if (!limiter) {
      const memory = new RateLimiterMemory({ points, duration, keyPrefix });
      limiter = this.redis
        ? new RateLimiterRedis({
            storeClient: this.redis,
            points,
            duration,
            keyPrefix,
            insuranceLimiter: memory,
          })
        : memory;
      this.limiters.set(keyPrefix, limiter);
    }
    return limiter;
  }
}

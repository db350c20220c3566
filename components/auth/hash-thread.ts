/**
 * The body of the password-check thread (hash-lane.ts): takes a password
 * and a stored hash, answers whether they match. It holds nothing between
 * checks.
 */
import { parentPort } from 'node:worker_threads';
import type { StoredHash } from '../../src/http/htpasswd.js';
import { verifyPassword } from '../../src/http/password-hash.js';

export interface CheckJob {
  readonly id: number;
  readonly password: Uint8Array;
  readonly stored: StoredHash;
}

export interface CheckAnswer {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
}

parentPort?.on('message', (job: CheckJob) => {
  let answer: CheckAnswer;
  try {
    answer = { id: job.id, ok: verifyPassword(job.password, job.stored) };
  } catch (error) {
    answer = { id: job.id, ok: false, error: (error as Error).message };
  }
  parentPort!.postMessage(answer);
});

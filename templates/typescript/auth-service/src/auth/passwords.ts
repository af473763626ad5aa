import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** Fewest and most characters (code points, as sent) a password may have (OWASP ASVS 2.1.1, 2.1.2). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** scrypt's block size and parallelism, as OWASP recommends; the cost (log2 N) is configured. */
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/** `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`, base64url, so each hash says how it was made. */
const FORMAT = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/;

interface Params {
  ln: number;
  r: number;
  p: number;
}

/**
 * A password as it is hashed: Unicode NFKC, so the same password typed on two keyboards (a
 * composed or decomposed é, a full-width digit) is the same password (NIST SP 800-63B 5.1.1.2).
 */
export const normalisePassword = (password: string): string => password.normalize('NFKC');

function derive(password: string, salt: Buffer, { ln, r, p }: Params): Promise<Buffer> {
  const N = 2 ** ln;
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; Node refuses more than 32 MiB unless told.
    scrypt(normalisePassword(password), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** What the auth service needs of password hashing. */
export interface Passwords {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  needsRehash(stored: string): boolean;
  verifyNothing(password: string): Promise<void>;
}

/** Whether `password` is the one `stored` was made from, at the cost `stored` names. */
async function verify(password: string, stored: string) {
  const match = FORMAT.exec(stored);
  if (!match) return false;
  const [, ln, r, p, salt, expected] = match as unknown as [string, string, string, string, string, string];
  const key = await derive(password, Buffer.from(salt, 'base64url'), { ln: Number(ln), r: Number(r), p: Number(p) });
  const wanted = Buffer.from(expected, 'base64url');
  return wanted.length === key.length && timingSafeEqual(wanted, key);
}

/**
 * Password hashing with scrypt from node:crypto: memory-hard, run on libuv's thread pool (the
 * event loop never waits for it), and nothing native to install. `verify` checks against the
 * cost stored in the hash; `needsRehash` says a hash was made with a lower cost than now
 * configured. `verifyNothing` spends the time of a verification on a hash made at start-up, so
 * a login for an unknown address takes as long as a wrong password.
 *
 * @param options.cost log2 of scrypt's N
 */
export function createPasswords({ cost }: { cost: number }): Passwords {
  const params: Params = { ln: cost, r: BLOCK_SIZE, p: PARALLELISM };
  let decoy: Promise<string> | undefined;

  async function hash(password: string) {
    const salt = randomBytes(SALT_LENGTH);
    const key = await derive(password, salt, params);
    return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  return {
    hash,
    verify,
    needsRehash: (stored) => Number(FORMAT.exec(stored)?.[1] ?? 0) < params.ln,
    async verifyNothing(password) {
      decoy ??= hash(randomBytes(SALT_LENGTH).toString('base64url'));
      await verify(password, await decoy);
    },
  };
}

import { randomBytes, type ScryptOptions, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/** The demo's accounts. Their passwords are shown on the login page: this is a demo. */
export const DEMO_USERS: ReadonlyArray<{ id: string; username: string; displayName: string; password: string }> = [
  { id: 'u-alice', username: 'alice', displayName: 'Alice Liddell', password: 'correct horse battery staple' },
  { id: 'u-bob', username: 'bob', displayName: 'Bob Builder', password: 'Tr0ub4dor&3 is not enough' },
];

/** A user as the directory keeps it: the password only as a salted scrypt hash. */
export interface DemoUser {
  readonly id: string;
  readonly username: string;
  displayName: string;
  readonly salt: Buffer;
  readonly passwordHash: Buffer;
}

// OWASP's scrypt minimum (N=2^17, r=8, p=1) costs ~128 MiB and ~0.3 s per hash; the demo uses a
// lighter N so its tests stay fast. A real application keeps the OWASP parameters.
const SCRYPT: ScryptOptions = { N: 2 ** 14, r: 8, p: 1 };
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, SCRYPT, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function hashSync(password: string, salt: Buffer): Buffer {
  return scryptSync(password.normalize('NFKC'), salt, KEY_LENGTH, SCRYPT);
}

/** An in-memory user directory (one per app instance, so tests do not share state). */
export class UserDirectory {
  readonly #byUsername = new Map<string, DemoUser>();
  readonly #byId = new Map<string, DemoUser>();
  /** Compared against when the username is unknown, so both failures take the same time. */
  readonly #decoy: DemoUser;

  constructor(accounts = DEMO_USERS) {
    for (const account of accounts) {
      const salt = randomBytes(16);
      const user: DemoUser = {
        id: account.id,
        username: account.username,
        displayName: account.displayName,
        salt,
        passwordHash: hashSync(account.password, salt),
      };
      this.#byUsername.set(user.username, user);
      this.#byId.set(user.id, user);
    }
    const salt = randomBytes(16);
    this.#decoy = {
      id: '',
      username: '',
      displayName: '',
      salt,
      passwordHash: hashSync(randomBytes(16).toString('hex'), salt),
    };
  }

  byId(id: string | null): DemoUser | undefined {
    return id === null ? undefined : this.#byId.get(id);
  }

  all(): DemoUser[] {
    return [...this.#byId.values()];
  }

  /** The user when the password is right, else `undefined` (unknown user or wrong password alike). */
  async verify(username: string, password: string): Promise<DemoUser | undefined> {
    const user = this.#byUsername.get(username.trim().toLowerCase());
    return (await this.checkPassword(user ?? this.#decoy, password)) && user ? user : undefined;
  }

  /** Whether `password` is this user's password (constant-time comparison of the hashes). */
  async checkPassword(user: DemoUser, password: string): Promise<boolean> {
    const candidate = await scryptAsync(password, user.salt);
    return timingSafeEqual(candidate, user.passwordHash);
  }
}

// koa-passport ships no types: what the tests use of it (a Passport instance whose middleware
// are Koa middleware).
declare module 'koa-passport' {
  import type { Middleware } from 'koa';

  interface KoaPassport {
    use(strategy: object): this;
    serializeUser<U>(serialize: (user: U, done: (error: unknown, id?: string) => void) => void): void;
    deserializeUser<U>(deserialize: (id: string, done: (error: unknown, user?: U | false) => void) => void): void;
    initialize(): Middleware;
    session(): Middleware;
    authenticate(strategy: string, options?: { successRedirect?: string; failureRedirect?: string }): Middleware;
  }
  const passport: KoaPassport;
  export default passport;
}

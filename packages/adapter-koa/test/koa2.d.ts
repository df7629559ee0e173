// `koa2` is an npm alias of koa@2.16.4 (a dev dependency, for the test matrix). Its API is what
// @types/koa describes for the parts the tests use.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}

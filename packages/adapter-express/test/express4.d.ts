// `express4` is an npm alias of express@4.21.2 (a dev dependency, for the test matrix). Its API
// is what @types/express describes for the parts the tests use.
declare module 'express4' {
  import express from 'express';
  export default express;
}

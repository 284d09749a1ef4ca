// twitter-autohook's own receiver (startServer), for the CRC comparison of bench/run.
// `node server.js PORT SECRET`: the consumer secret is the key of the CRC answer. The other
// credentials are placeholders: startServer answers the CRC without contacting X, and
// nothing here calls X (no setWebhook, no subscribe).
const { Autohook } = require('twitter-autohook');

const [port, secret] = process.argv.slice(2);
if (!port || !secret) {
  console.error('usage: node server.js PORT SECRET');
  process.exit(2);
}
const hook = new Autohook({
  token: 'bench-token',
  token_secret: 'bench-token-secret',
  consumer_key: 'bench-consumer-key',
  consumer_secret: secret,
  env: 'bench',
  port,
});
hook.on('event', () => {});
hook.startServer();
console.log(`twitter-autohook receiver listening on 127.0.0.1:${port}`);

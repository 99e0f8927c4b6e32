// Fixture app: a plain Node HTTP server on 0.0.0.0:8080 (reachable through a
// published port) with no SIGTERM listener and no child reaping, as most Node
// servers are written. Node as PID 1 therefore ignores `docker stop`.
const http = require('node:http');

http.createServer((req, res) => res.end('ok\n')).listen(8080, '0.0.0.0', () => console.log('listening on 8080'));

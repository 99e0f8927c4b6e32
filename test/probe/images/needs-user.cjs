// Fixture app: a server that looks its user up at start-up, as many programs
// do (os.userInfo(), getpass.getuser(), whoami). As a UID with no passwd
// entry that throws "uv_os_get_passwd returned ENOENT" and the app exits 1.
const http = require('node:http');
const os = require('node:os');

const me = os.userInfo();
console.log(`running as ${me.username} (uid ${me.uid}), home ${me.homedir}`);
http.createServer((req, res) => res.end('ok\n')).listen(8080, '0.0.0.0');

// The small app inside the e2e image, standing in for a user's server.
//   node app.js exit N       exit with N at once
//   node app.js serve [TAG]  print "TAG ready", then on SIGTERM or SIGINT print
//                            "TAG got SIGxxx" and exit with $APP_EXIT_ON_<SIG>
//                            (default 0), as a server that shuts down cleanly
//   node app.js whoami       print uid, gid and whether stdin is a terminal
const [mode = 'serve', arg = 'app'] = process.argv.slice(2);
const say = (line) => process.stdout.write(`${line}\n`);

if (mode === 'exit') {
  process.exit(Number(arg));
} else if (mode === 'whoami') {
  say(`uid=${process.getuid()} gid=${process.getgid()} tty=${process.stdin.isTTY === true} pid=${process.pid} ppid=${process.ppid}`);
} else {
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      say(`${arg} got ${sig}`);
      process.exit(Number(process.env[`APP_EXIT_ON_${sig.slice(3)}`] ?? 0));
    });
  }
  setInterval(() => {
    // Keeps the process alive until a signal comes; nothing else to do.
  }, 60_000);
  say(`${arg} ready`);
}

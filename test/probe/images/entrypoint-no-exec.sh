#!/bin/sh
# Fixture entrypoint: the classic mistake. The script starts the server as
# its child instead of exec'ing it, so PID 1 is this shell, which ignores
# SIGTERM and never passes it on.
echo "starting the server"
node /app/server.cjs
echo "server stopped"

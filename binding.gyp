{
  "targets": [
    {
      "target_name": "ts_init",
      "sources": ["src/native/addon.c"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}

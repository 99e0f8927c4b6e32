/* Forced into the glibc prebuilds only (scripts/prebuild.sh, -include).
 * Built on Debian bookworm (glibc 2.36), the addon would otherwise ask for
 * pthread_sigmask@GLIBC_2.32 and fcntl64@GLIBC_2.28, and node:*-bullseye
 * images (glibc 2.31) could not load it. Both calls behave the same under
 * each architecture's base symbol version (off_t is 64-bit on these 64-bit
 * targets), so bind to that: same code, older glibc floor. */
#if defined(__x86_64__)
__asm__(".symver pthread_sigmask,pthread_sigmask@GLIBC_2.2.5");
__asm__(".symver fcntl64,fcntl@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver pthread_sigmask,pthread_sigmask@GLIBC_2.17");
__asm__(".symver fcntl64,fcntl@GLIBC_2.17");
#endif

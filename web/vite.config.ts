import { defineConfig } from 'vite';

// The page is served from the site's root (CloudFront and `make dev` alike); hashed files go to
// /assets/, which both serve as immutable. Nothing is inlined as a data: URL, so the content security
// policy needs no `data:` source.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});

import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      prometheus: 'src/integrations/prometheus.ts',
      http: 'src/integrations/http.ts',
      otel: 'src/integrations/otel.ts',
      testing: 'src/coordination/conformance.ts',
      redis: 'src/integrations/redis.ts',
      postgres: 'src/integrations/postgres.ts',
      doctor: 'src/doctor/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: true,
    external: ['prom-client', '@opentelemetry/api', 'pino', 'ioredis', 'pg'],
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'node20',
    splitting: false,
  },
]);

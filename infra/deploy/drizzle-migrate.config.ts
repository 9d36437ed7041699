/**
 * `drizzle-kit migrate --config infra/deploy/drizzle-migrate.config.ts`: applies db/migrations to
 * the database of DATABASE_URL (a `libsql://` or `https://` URL of Turso or sqld) with
 * DATABASE_AUTH_TOKEN, as CI does before it deploys the handlers (.github/workflows/deploy.yml).
 * The schema and the migrations are drizzle.config.ts's; only the dialect differs, because
 * drizzle-kit sends an auth token only with the `turso` dialect, while migrations are generated
 * with the `sqlite` one.
 */
import { defineConfig } from 'drizzle-kit';
import generation from '../../drizzle.config';

const url = process.env.DATABASE_URL;
if (!url || !/^(libsql|https?|wss?):\/\//.test(url))
  throw new Error('DATABASE_URL must be the libsql:// (or https://) URL of the server database to migrate');

export default defineConfig({
  schema: generation.schema,
  out: generation.out,
  dialect: 'turso',
  dbCredentials: { url, authToken: process.env.DATABASE_AUTH_TOKEN || undefined },
});

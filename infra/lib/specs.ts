import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (infra/lib → ../..). */
export const REPO_ROOT = path.resolve(here, '..', '..');

/** The table definition exported from the Rust model (`make table-spec`). */
export interface KeyAttribute {
  name: string;
  type: 'S' | 'N' | 'B';
}
export interface IndexSpec {
  name: string;
  partition_key: KeyAttribute;
  sort_key: KeyAttribute | null;
  projection: 'ALL';
}
/** What the table's stream records hold of each item written. */
export type StreamView = 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'KEYS_ONLY';
export interface TableSpec {
  partition_key: KeyAttribute;
  sort_key: KeyAttribute | null;
  global_secondary_indexes: IndexSpec[];
  local_secondary_indexes: IndexSpec[];
  ttl_attribute: string | null;
  billing_mode: 'PAY_PER_REQUEST';
  /** The table's stream of changes; absent when it has none. */
  stream?: StreamView;
}

export function loadTableSpec(file = path.join(REPO_ROOT, 'infra', 'table-spec.json')): TableSpec {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TableSpec;
}

/**
 * The OAuth scopes of the people resource server: the vocabulary of `scopes` in infra/routes.json. A
 * token needs at least one of a route's scopes; which route needs which is decided by the Rust route
 * table, never here.
 */
export const RESOURCE_SERVER = 'people';
export const SCOPES = {
  'people/read': 'Read and list any person',
  'people/write': 'Read, list, create, change and delete any person',
  'people/self': 'Create one person of your own; read, list, change and delete only that one',
} as const;
export type Scope = keyof typeof SCOPES;

/** The route table exported from the Rust router (`infra/routes.json`). */
export interface RouteSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway syntax: `/people/{id}`. */
  path: string;
  /** The binary that serves the route, a `binary` of FUNCTIONS. */
  function: string;
  action: 'list' | 'create' | 'read' | 'replace' | 'patch' | 'delete';
  writes: boolean;
  /** The route's JWT authorizer accepts a token carrying any one of these (route `authorizationScopes`). */
  scopes: Scope[];
}
export interface RouteTable {
  /** The binary behind `$default`: unknown paths and methods, answered with 404/405. */
  fallback: string;
  /** The scopes `$default` accepts. */
  fallback_scopes: Scope[];
  routes: RouteSpec[];
}

/** `$default` or `METHOD /path`, API Gateway's route key. */
export const routeKey = (r: Pick<RouteSpec, 'method' | 'path'>) => `${r.method} ${r.path}`;

/** Checks a list of scopes from infra/routes.json: not empty, each one of SCOPES, no duplicates. */
export function checkScopes(scopes: unknown, user: string): Scope[] {
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new Error(`infra/routes.json: ${user} has no scopes (regenerate the file with \`make routes\`); every route needs at least one of ${Object.keys(SCOPES).join(', ')}`);
  }
  for (const s of scopes) {
    if (!(typeof s === 'string' && s in SCOPES)) {
      throw new Error(`infra/routes.json: ${user} has scope ${JSON.stringify(s)}, which is not one of ${Object.keys(SCOPES).join(', ')} (infra/lib/specs.ts SCOPES)`);
    }
  }
  if (new Set(scopes).size !== scopes.length) throw new Error(`infra/routes.json: ${user} lists a scope twice`);
  return scopes as Scope[];
}

export function loadRoutes(file = path.join(REPO_ROOT, 'infra', 'routes.json')): RouteTable {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RouteTable;
}

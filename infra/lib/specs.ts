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
export interface TableSpec {
  partition_key: KeyAttribute;
  sort_key: KeyAttribute | null;
  global_secondary_indexes: IndexSpec[];
  local_secondary_indexes: IndexSpec[];
  ttl_attribute: string | null;
  billing_mode: 'PAY_PER_REQUEST';
}

export function loadTableSpec(file = path.join(REPO_ROOT, 'infra', 'table-spec.json')): TableSpec {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TableSpec;
}

/** The route table exported from the Rust router (`infra/routes.json`). */
export interface RouteSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway syntax: `/people/{id}`. */
  path: string;
  /** The binary that serves the route, a `binary` of FUNCTIONS. */
  function: string;
  action: 'list' | 'create' | 'read' | 'replace' | 'patch' | 'delete';
  /** Writes get the JWT authorizer when auth is on. */
  writes: boolean;
}
export interface RouteTable {
  /** The binary behind `$default`: unknown paths and methods, answered with 404/405. */
  fallback: string;
  routes: RouteSpec[];
}

export function loadRoutes(file = path.join(REPO_ROOT, 'infra', 'routes.json')): RouteTable {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RouteTable;
}

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

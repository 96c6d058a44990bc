// The peer: the same operations through Dynamoose 4 and through the raw AWS SDK v3 client, on the
// same DynamoDB Local table and item shape as the Rust benchmark. Prints JSON.
// usage: node bench.mjs <endpoint> <table> <ops-per-block>
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import dynamoose from 'dynamoose';

const [endpoint, table, opsArg] = process.argv.slice(2);
const N = Number(opsArg ?? 400);
const ROUNDS = 5;
const WARMUP = 100;
const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const client = new DynamoDBClient(config);
dynamoose.aws.ddb.set(new dynamoose.aws.ddb.DynamoDB(config));

const Person = dynamoose.model('Person', new dynamoose.Schema({
  pk: { type: String, hashKey: true },
  sk: { type: String, rangeKey: true },
  gsi1pk: { type: String, index: { name: 'gsi1', type: 'global', rangeKey: 'gsi1sk' } },
  gsi1sk: String,
  id: String,
  name: String,
  name_lc: String,
  email: String,
  phone: String,
  tags: { type: Array, schema: [String] },
  created_at: String,
  updated_at: String,
  version: Number,
}, { saveUnknown: false }), { create: false, waitForActive: false, tableName: table });
dynamoose.Table.defaults.set({ create: false, waitForActive: false });
new dynamoose.Table(table, [Person], { create: false, waitForActive: false });

let seq = 0;
function person(prefix) {
  seq += 1;
  const id = `${prefix}${String(seq).padStart(10, '0')}`;
  const now = new Date().toISOString();
  return {
    pk: `PERSON#${id}`, sk: 'PROFILE', gsi1pk: 'PERSON', gsi1sk: id, id,
    name: `Person ${id}`, name_lc: `person ${id}`, email: `${id}@example.com`, phone: '+442079460958',
    tags: ['math', 'bench'], created_at: now, updated_at: now, version: 1,
  };
}

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}
async function block(n, op) {
  const walls = [];
  const c0 = cpuMicros();
  for (let i = 0; i < n; i += 1) {
    const t = process.hrtime.bigint();
    await op(i);
    walls.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return { cpu: (cpuMicros() - c0) / n, walls };
}
const sorted = (v) => [...v].sort((a, b) => a - b);
const pct = (v, p) => sorted(v)[Math.round((v.length - 1) * p)];
function summary(cpus, walls) {
  return {
    cpu_us_median: pct(cpus, 0.5), cpu_us_min: Math.min(...cpus), cpu_us_max: Math.max(...cpus),
    wall_us_p50: pct(walls, 0.5), wall_us_p99: pct(walls, 0.99),
    wall_sample: walls.filter((_, i) => i % Math.max(1, Math.floor(walls.length / 200)) === 0),
  };
}

// The same table definition as the Rust side (infra/table-spec.json).
const spec = JSON.parse(readFileSync(new URL('../../infra/table-spec.json', import.meta.url), 'utf8'));
const keySchema = (pk, sk) => [{ AttributeName: pk.name, KeyType: 'HASH' }, ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' }] : [])];
const attrs = [spec.partition_key, spec.sort_key, ...spec.global_secondary_indexes.flatMap((i) => [i.partition_key, i.sort_key])].filter(Boolean);
await client.send(new CreateTableCommand({
  TableName: table,
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: keySchema(spec.partition_key, spec.sort_key),
  AttributeDefinitions: [...new Map(attrs.map((a) => [a.name, { AttributeName: a.name, AttributeType: a.type }])).values()],
  GlobalSecondaryIndexes: spec.global_secondary_indexes.map((i) => ({ IndexName: i.name, KeySchema: keySchema(i.partition_key, i.sort_key), Projection: { ProjectionType: 'ALL' } })),
}));

const seeded = Array.from({ length: 40 }, () => person('seed'));
for (const p of seeded) await client.send(new PutItemCommand({ TableName: table, Item: marshall(p) }));

const raw = {
  get: async (i) => {
    const p = seeded[i % seeded.length];
    const out = await client.send(new GetItemCommand({ TableName: table, Key: marshall({ pk: p.pk, sk: p.sk }) }));
    return unmarshall(out.Item);
  },
  put: async (i) => client.send(new PutItemCommand({ TableName: table, Item: marshall(seeded[i % seeded.length]) })),
  conditional_put: async () => client.send(new PutItemCommand({
    TableName: table, Item: marshall(person('nrc')), ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' },
  })),
  query_20: async () => {
    const out = await client.send(new QueryCommand({
      TableName: table, IndexName: 'gsi1', KeyConditionExpression: '#p = :p', ExpressionAttributeNames: { '#p': 'gsi1pk' },
      ExpressionAttributeValues: marshall({ ':p': 'PERSON' }), ScanIndexForward: false, Limit: 20,
    }));
    return out.Items.map((i) => unmarshall(i));
  },
  transaction_2: async () => {
    const put = (item) => ({ Put: { TableName: table, Item: marshall(item), ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } } });
    return client.send(new TransactWriteItemsCommand({ TransactItems: [put(person('nrta')), put(person('nrtb'))] }));
  },
};
const orm = {
  get: async (i) => { const p = seeded[i % seeded.length]; return Person.get({ pk: p.pk, sk: p.sk }); },
  put: async (i) => Person.create(seeded[i % seeded.length], { overwrite: true }),
  conditional_put: async () => Person.create(person('ndc')),
  query_20: async () => Person.query('gsi1pk').eq('PERSON').using('gsi1').sort('descending').limit(20).exec(),
  transaction_2: async () => dynamoose.transaction([Person.transaction.create(person('ndta')), Person.transaction.create(person('ndtb'))]),
};

const results = {};
for (const op of Object.keys(raw)) {
  const acc = { raw: { cpus: [], walls: [] }, orm: { cpus: [], walls: [] } };
  for (let round = 0; round <= ROUNDS; round += 1) {
    const n = round === 0 ? WARMUP : N;
    for (const [name, impl] of [['raw', raw], ['orm', orm]]) {
      const b = await block(n, impl[op]);
      if (round > 0) { acc[name].cpus.push(b.cpu); acc[name].walls.push(...b.walls); }
    }
  }
  const r = summary(acc.raw.cpus, acc.raw.walls);
  const d = summary(acc.orm.cpus, acc.orm.walls);
  results[op] = { raw_sdk: r, dynamoose: d, cpu_ratio: d.cpu_us_median / r.cpu_us_median };
  process.stderr.write(`peer ${op}: raw ${r.cpu_us_median.toFixed(0)} µs, dynamoose ${d.cpu_us_median.toFixed(0)} µs CPU/op\n`);
}
console.log(JSON.stringify({ node: process.version, ops_per_block: N, rounds: ROUNDS, results }, null, 2));

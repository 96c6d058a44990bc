// The peer's function: a minimal Lambda runtime loop in Node.js whose handler reads one person with
// Dynamoose, for the cold-start and memory comparison. Environment: AWS_LAMBDA_RUNTIME_API,
// DYNAMODB_ENDPOINT, TABLE_NAME, PERSON_PK.
import dynamoose from 'dynamoose';

const config = { endpoint: process.env.DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
dynamoose.aws.ddb.set(new dynamoose.aws.ddb.DynamoDB(config));
const Person = dynamoose.model('Person', new dynamoose.Schema({
  pk: { type: String, hashKey: true }, sk: { type: String, rangeKey: true },
  id: String, name: String, email: String, phone: [String, dynamoose.type.NULL], tags: { type: Array, schema: [String] },
  created_at: String, updated_at: String, version: Number,
}, { saveUnknown: true }), { create: false, waitForActive: false, tableName: process.env.TABLE_NAME });

const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
for (;;) {
  const next = await fetch(`${api}/invocation/next`);
  const id = next.headers.get('lambda-runtime-aws-request-id');
  await next.json();
  try {
    const person = await Person.get({ pk: process.env.PERSON_PK, sk: 'PROFILE' });
    const body = JSON.stringify({ statusCode: person ? 200 : 404, body: JSON.stringify(person) });
    await fetch(`${api}/invocation/${id}/response`, { method: 'POST', body });
  } catch (e) {
    await fetch(`${api}/invocation/${id}/error`, { method: 'POST', body: JSON.stringify({ errorMessage: String(e) }) });
  }
}

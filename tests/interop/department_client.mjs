// A department backend written in Node.js: @grpc/grpc-js over mutual TLS to the govmesh gateway,
// with the contracts loaded from protos/ as they are (no generated code). It asks the gateway who
// it is, looks a subject up in the catalog, searches it, validates two records against it, with
// --publish FILE publishes the records in FILE (JSON) through the exchange, and prints what it got
// as one JSON object for the interop test to check.
//
//   node department_client.mjs --target 127.0.0.1:50051 --ca ca.pem --cert department-AIC.pem --key department-AIC.key

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const PROTOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "protos");
const DEADLINE_MS = 10_000;

const { values: options } = parseArgs({
  options: {
    target: { type: "string" },
    ca: { type: "string" },
    cert: { type: "string" },
    key: { type: "string" },
    subject: { type: "string", default: "102.001" },
    publish: { type: "string" },
  },
});
for (const required of ["target", "ca", "cert", "key"]) {
  if (!options[required]) {
    console.error(`missing --${required}`);
    process.exit(2);
  }
}

const definition = protoLoader.loadSync(["catalog/v1/catalog.proto", "gateway/v1/gateway.proto", "exchange/v1/exchange.proto"], {
  includeDirs: [PROTOS],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const api = grpc.loadPackageDefinition(definition);
const credentials = grpc.credentials.createSsl(
  fs.readFileSync(options.ca),
  fs.readFileSync(options.key),
  fs.readFileSync(options.cert),
);
const catalog = new api.catalog.v1.CatalogService(options.target, credentials);
const gateway = new api.gateway.v1.GatewayService(options.target, credentials);
const exchange = new api.exchange.v1.ExchangeService(options.target, credentials);

// One unary call as a promise, with a deadline as every department call should have.
function call(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: new Date(Date.now() + DEADLINE_MS) }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

async function main() {
  const subjectName = `subjects/${options.subject}`;
  const whoami = await call(gateway, "WhoAmI", {});
  const { subject } = await call(catalog, "GetSubject", { name: subjectName });
  const search = await call(catalog, "Search", { query: subject.name_zh, page_size: 5 });
  const required = subject.items.filter((item) => item.required).map((item) => item.code);
  const validation = await call(catalog, "ValidateRecords", {
    subject: subjectName,
    records: [{ values: {} }, { values: { "unknown.item": { string_value: "x" } } }],
  });
  let published = [];
  if (options.publish) {
    const records = JSON.parse(fs.readFileSync(options.publish, "utf8"));
    const reply = await call(exchange, "Publish", { records });
    published = reply.results.map((result) => ({
      index: result.index,
      status: result.status,
      record_id: result.record_id,
      reasons: result.violations.map((violation) => violation.reason),
    }));
  }
  return {
    published,
    principal: whoami.principal.name,
    spiffe_id: whoami.certificate.spiffe_id,
    subject: { name: subject.name, name_zh: subject.name_zh, items: subject.items.length, required },
    search: search.results.map((result) => result.name),
    verdicts: validation.verdicts.map((verdict) => ({
      index: verdict.index,
      valid: verdict.valid,
      reasons: verdict.violations.map((violation) => violation.reason),
      items: verdict.violations.map((violation) => violation.item_code),
    })),
  };
}

main()
  .then((result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  })
  .catch((error) => {
    console.error(`${error.code ?? ""} ${error.details ?? error.message}`);
    process.exit(1);
  });

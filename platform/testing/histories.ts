import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

/**
 * Workflow histories in Temporal's JSON format — the one the Web UI downloads and
 * `temporal workflow show --output json` prints — for recorded fixtures and replay tests.
 *
 * Why not `historyToJSON` / `historyFromJSON` of @temporalio/common (and so not a JSON object
 * passed straight to `Worker.runReplayHistory`, which calls the latter): @grpc/proto-loader's
 * protobufjs 7 takes the top of node_modules, so npm installs protobufjs 8 three times, nested
 * under @temporalio/common, /proto and /worker; protojson of one copy refuses the types of
 * another ("TypeError: type must be a Type"). Here protojson comes from the very copy that
 * @temporalio/proto is built on, whatever the layout.
 */

export type History = proto.temporal.api.history.v1.IHistory;

interface Protojson {
  toJson(type: unknown, message: object): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): object;
}

const protojson = createRequire(import.meta.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as Protojson;
const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');

export function historyToJSON(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

/**
 * A history in that JSON format, with enum values spelled in full (`EVENT_TYPE_…`) as
 * `historyToJSON` writes them, ready for `Worker.runReplayHistory`.
 */
export function historyFromJSON(json: unknown): History {
  // Fields of a newer server than this SDK knows are no reason to refuse a history.
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}

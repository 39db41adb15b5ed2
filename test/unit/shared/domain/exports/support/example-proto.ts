import protobuf from 'protobufjs';

/**
 * The published `tf.train.Example` schema (tensorflow/core/example/example.proto and
 * feature.proto), decoded by protobufjs (installed with onnx-proto): a second, general-purpose
 * protobuf decoder for the Examples the TensorFlow export writes.
 */
const EXAMPLE_PROTO = `
syntax = "proto3";
package tensorflow;
message BytesList { repeated bytes value = 1; }
message FloatList { repeated float value = 1 [packed = true]; }
message Int64List { repeated int64 value = 1 [packed = true]; }
message Feature {
  oneof kind {
    BytesList bytes_list = 1;
    FloatList float_list = 2;
    Int64List int64_list = 3;
  }
}
message Features { map<string, Feature> feature = 1; }
message Example { Features features = 1; }
`;

const exampleType = protobuf.parse(EXAMPLE_PROTO).root.lookupType('tensorflow.Example');

export interface ProtoFeature {
  bytesList?: { value: string[] };
  floatList?: { value: number[] };
  int64List?: { value: string[] };
}

/** Bytes as base64 text, int64 as decimal text. */
export function decodeExampleWithProtobufjs(bytes: Uint8Array): Record<string, ProtoFeature> {
  const message = exampleType.decode(bytes);
  const object = exampleType.toObject(message, { longs: String, bytes: String, defaults: false }) as {
    features?: { feature?: Record<string, ProtoFeature> };
  };
  return object.features?.feature ?? {};
}

/**
 * A small builder of one ONNX graph, written with onnx-proto's generated protobuf code: inputs,
 * nodes with typed attributes, constant tensors and outputs, and `toModelBytes`, which drops the
 * nodes no output needs before encoding. Tensor names are made unique here, so that the graph's
 * own names never collide with the model's input columns, whatever they are called.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

/** The domain of the traditional-ML operators (Imputer, Scaler, TreeEnsembleClassifier, …). */
export const ML_DOMAIN = 'ai.onnx.ml';
/** Opsets the graph is written against: Equal on text needs 19; ai.onnx.ml 3 has the tree ensembles. */
export const ONNX_OPSET = 19;
export const ONNX_ML_OPSET = 3;

export type ElementType = 'float' | 'string' | 'int64' | 'bool';

const ELEMENT_TYPES: Record<ElementType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  string: onnx.TensorProto.DataType.STRING,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type Attribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] };

/** Attribute values with their ONNX type (a number alone cannot say whether it is an int or a float). */
export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value }),
  strings: (value: readonly string[]): Attribute => ({ type: 'strings', value }),
};

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function toAttributeProto(name: string, a: Attribute): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: utf8(a.value) };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.value] };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map(utf8) };
  }
}

/** A dimension: a fixed size, or a name for a size known only at run time (the row count). */
export type Dimension = number | string;

function valueInfo(name: string, type: ElementType, shape: readonly Dimension[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPES[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface NodeOptions {
  readonly domain?: typeof ML_DOMAIN;
  /** How many outputs the node has (default 1). */
  readonly outputs?: number;
  /** A hint for the names of its outputs. */
  readonly hint?: string;
}

export interface ModelInfo {
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export class OnnxGraph {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly memo = new Map<string, string>();
  private counter = 0;

  /** Names that must stay free for the graph's inputs and outputs. */
  constructor(reserved: readonly string[]) {
    for (const name of reserved) this.names.add(name);
  }

  /** A tensor name used nowhere else. */
  private fresh(hint: string): string {
    let name: string;
    do {
      this.counter += 1;
      name = `${hint}_${this.counter}`;
    } while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  /** Declares a graph input (its name is the caller's, reserved at construction). */
  input(name: string, type: ElementType, shape: readonly Dimension[]): string {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Declares `tensor` as the graph output `name`, through an Identity node. */
  output(name: string, tensor: string, type: ElementType, shape: readonly Dimension[]): void {
    this.nodes.push({ opType: 'Identity', input: [tensor], output: [name], name: `output_${name}` });
    this.outputs.push(valueInfo(name, type, shape));
  }

  /** Adds a node and returns the names of its outputs. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    options: NodeOptions = {},
  ): string[] {
    const hint = options.hint ?? opType.toLowerCase();
    const output = Array.from({ length: options.outputs ?? 1 }, () => this.fresh(hint));
    this.nodes.push({
      opType,
      input: [...inputs],
      output,
      name: `${opType}_${this.nodes.length}`,
      ...(options.domain ? { domain: options.domain } : {}),
      attribute: Object.entries(attributes).map(([name, a]) => toAttributeProto(name, a)),
    });
    return output;
  }

  /** A node with one output. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    options: Omit<NodeOptions, 'outputs'> = {},
  ): string {
    const [out] = this.node(opType, inputs, attributes, options);
    if (out === undefined) throw new Error(`${opType} has no output`);
    return out;
  }

  /** The same tensor for the same key: a constant or a derived tensor built once. */
  once(key: string, build: () => string): string {
    const found = this.memo.get(key);
    if (found !== undefined) return found;
    const built = build();
    this.memo.set(key, built);
    return built;
  }

  /** A constant float tensor (values rounded to float32, as every float in the graph). */
  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.once(`floats:${dims.join('x')}:${values.join(',')}`, () =>
      this.constant({ dataType: ELEMENT_TYPES.float, dims: [...dims], floatData: [...values] }),
    );
  }

  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.once(`ints:${dims.join('x')}:${values.join(',')}`, () =>
      this.constant({ dataType: ELEMENT_TYPES.int64, dims: [...dims], int64Data: [...values] }),
    );
  }

  strings(values: readonly string[], dims: readonly number[] = [values.length]): string {
    return this.once(`strings:${dims.join('x')}:${JSON.stringify(values)}`, () =>
      this.constant({ dataType: ELEMENT_TYPES.string, dims: [...dims], stringData: values.map(utf8) }),
    );
  }

  private constant(tensor: ITensorProto): string {
    const name = this.fresh('const');
    this.initializers.push({ ...tensor, name });
    return name;
  }

  /** The model: every node and constant that an output depends on, in the order they were added. */
  toModelBytes(info: ModelInfo): Uint8Array {
    const needed = new Set(this.outputs.map((o) => o.name ?? ''));
    const kept: INodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i -= 1) {
      const node = this.nodes[i];
      if (!node || !(node.output ?? []).some((o) => needed.has(o))) continue;
      kept.push(node);
      for (const input of node.input ?? []) needed.add(input);
    }
    kept.reverse();
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [
        { domain: '', version: ONNX_OPSET },
        { domain: ML_DOMAIN, version: ONNX_ML_OPSET },
      ],
      producerName: 'PipeWeave',
      producerVersion: info.producerVersion,
      docString: info.docString,
      metadataProps: Object.entries(info.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: 'pipeweave_model',
        node: kept,
        initializer: this.initializers.filter((t) => needed.has(t.name ?? '')),
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

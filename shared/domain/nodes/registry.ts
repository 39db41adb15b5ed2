import { ValidationError } from '../../kernel/app-error';
import { dropColumnsNode, renameColumnsNode, selectColumnsNode } from './library/column-nodes';
import { datasetSourceNode } from './library/dataset-source-node';
import { exportCsvNode, exportParquetNode } from './library/export-nodes';
import { filterRowsNode } from './library/filter-rows-node';
import { joinNode } from './library/join-node';
import { sampleNode } from './library/sample-node';
import { seismicNodes } from './library/seismic/seismic-nodes';
import { splitNode } from './library/split-node';
import type { NodeImplementation } from './node-definition';
import { audioNodes } from './library/audio/audio-nodes';
import { videoNodes } from './library/video/video-nodes';
import { timeSeriesNodes } from './library/timeseries/time-series-nodes';
import { evaluateNode } from './library/learning/evaluate-node';
import { predictNode } from './library/learning/predict-node';
import { monitoringNodes } from './library/monitoring/dinsight-nodes';
import { autoMlNode, trainNode } from './library/learning/training-nodes';
import { transformNodes } from './library/learning/transform-nodes';
import { imageNodes } from './library/image/image-nodes';
import { textTransformNodes } from './library/text/text-transform-nodes';
import { entitiesNode } from './library/text/entities-node';

/** Node implementations by node-type key: every host (Lambda, Fargate, local) runs nodes from here. */
export interface NodeRegistry {
  keys(): string[];
  has(key: string): boolean;
  /** Throws ValidationError (code NODE_TYPE.NOT_IMPLEMENTED) for a key with no implementation. */
  get(key: string): NodeImplementation;
}

export function createNodeRegistry(nodes: readonly NodeImplementation[]): NodeRegistry {
  const byKey = new Map<string, NodeImplementation>();
  for (const node of nodes) {
    if (byKey.has(node.key)) throw new Error(`Node type "${node.key}" is registered twice.`);
    byKey.set(node.key, node);
  }
  return {
    keys: () => [...byKey.keys()].sort(),
    has: (key) => byKey.has(key),
    get(key) {
      const node = byKey.get(key);
      if (!node) {
        throw new ValidationError(`Node type "${key}" has no implementation in this release.`, {
          code: 'NODE_TYPE.NOT_IMPLEMENTED',
          field: 'type',
        });
      }
      return node;
    },
  };
}

export const nodeRegistry: NodeRegistry = createNodeRegistry([
  datasetSourceNode,
  selectColumnsNode,
  renameColumnsNode,
  dropColumnsNode,
  filterRowsNode,
  sampleNode,
  splitNode,
  joinNode,
  exportParquetNode,
  exportCsvNode,
  ...transformNodes,
  trainNode,
  autoMlNode,
  evaluateNode,
  predictNode,
  ...imageNodes,
  ...textTransformNodes,
  entitiesNode,
  ...audioNodes,
  ...videoNodes,
  ...timeSeriesNodes,
  ...monitoringNodes,
  ...seismicNodes,
]);

/** What a learner's nodes produce, before the graph's outputs are named. */
export type LearnerOutput =
  | {
      readonly problemType: 'classification';
      readonly nClasses: number;
      /** float [N, nClasses]: each class's probability, in class-index order. */
      readonly probabilities: string;
    }
  | {
      readonly problemType: 'regression';
      /** float [N, 1]. */
      readonly values: string;
    };

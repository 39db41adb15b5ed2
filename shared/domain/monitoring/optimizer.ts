/**
 * The two optimisers a DInsight fit may use, stepping a vector of parameters in place from its
 * gradient: Adam (alpha, beta1, beta2, epsilon) or gradient descent with momentum (eta, beta).
 */
export interface OptimizerSettings {
  optimizer: 'adam' | 'sgd';
  alpha: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  eta: number;
  beta: number;
}

export interface Optimizer {
  step(params: Float64Array, gradient: Float64Array): void;
}

export function createOptimizer(settings: OptimizerSettings, size: number): Optimizer {
  if (settings.optimizer === 'sgd') {
    const velocity = new Float64Array(size);
    return {
      step(params, gradient) {
        for (let k = 0; k < size; k += 1) {
          const v = settings.beta * (velocity[k] ?? 0) - settings.eta * (gradient[k] ?? 0);
          velocity[k] = v;
          params[k] = (params[k] ?? 0) + v;
        }
      },
    };
  }
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  let t = 0;
  return {
    step(params, gradient) {
      t += 1;
      const c1 = 1 - settings.beta1 ** t;
      const c2 = 1 - settings.beta2 ** t;
      for (let k = 0; k < size; k += 1) {
        const g = gradient[k] ?? 0;
        const mk = settings.beta1 * (m[k] ?? 0) + (1 - settings.beta1) * g;
        const vk = settings.beta2 * (v[k] ?? 0) + (1 - settings.beta2) * g * g;
        m[k] = mk;
        v[k] = vk;
        params[k] = (params[k] ?? 0) - (settings.alpha * (mk / c1)) / (Math.sqrt(vk / c2) + settings.epsilon);
      }
    },
  };
}

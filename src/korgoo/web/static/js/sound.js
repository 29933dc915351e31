// Alert sounds made with the Web Audio API (no sound files): P1 urgent and
// repeating, P2 two tones, P3 one soft tone, P4 silent.

let context = null;

function audio() {
  if (!context) {
    const Ctor = window.AudioContext || window.webkitAudioContext;
    if (!Ctor) return null;
    context = new Ctor();
  }
  return context;
}

// Browsers start audio only after a user gesture: resume on the first one.
export function unlockOnGesture(onChange) {
  const resume = () => {
    const ctx = audio();
    if (ctx && ctx.state !== "running") ctx.resume().then(onChange, onChange);
  };
  for (const type of ["pointerdown", "keydown"]) {
    window.addEventListener(type, resume, { capture: true });
  }
}

export function soundBlocked() {
  const ctx = audio();
  return !ctx || ctx.state !== "running";
}

function tone(ctx, freq, start, duration, { type = "sine", gain = 0.2 } = {}) {
  const osc = ctx.createOscillator();
  const amp = ctx.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  const t0 = ctx.currentTime + start;
  amp.gain.setValueAtTime(0.0001, t0);
  amp.gain.exponentialRampToValueAtTime(gain, t0 + 0.02);
  amp.gain.exponentialRampToValueAtTime(0.0001, t0 + duration);
  osc.connect(amp).connect(ctx.destination);
  osc.start(t0);
  osc.stop(t0 + duration + 0.05);
}

const PATTERNS = {
  P1: (ctx) => {
    for (let i = 0; i < 4; i += 1) {
      tone(ctx, i % 2 ? 740 : 988, i * 0.22, 0.18, { type: "square", gain: 0.18 });
    }
  },
  P2: (ctx) => {
    tone(ctx, 660, 0, 0.28, { type: "triangle", gain: 0.25 });
    tone(ctx, 880, 0.34, 0.32, { type: "triangle", gain: 0.25 });
  },
  P3: (ctx) => tone(ctx, 523, 0, 0.5, { gain: 0.12 }),
};

export function play(priority) {
  const pattern = PATTERNS[priority];
  const ctx = audio();
  if (!pattern || !ctx || ctx.state !== "running") return false;
  pattern(ctx);
  return true;
}

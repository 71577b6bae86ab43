// The diagnosis panel's bundle (gradmagic/views/static, built by `jlpm build:panel` before the
// labextension) and its stylesheet, loaded by the record renderer (mime.ts) for saved notebooks.
declare module '*/panel.bundle.mjs' {
  export function render(props: { model: unknown; el: HTMLElement }): () => void;
}
declare module '*.css';

declare module "*.wasm" {
  const path: string;
  export default path;
}

declare module "*.yml" {
  const text: string;
  export default text;
}

declare module "*.css";

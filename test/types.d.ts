declare module '@digitalbazaar/vc-bitstring-status-list' {
  export function decodeList(args: { encodedList: string }): Promise<{ length: number; getStatus(index: number): boolean }>;
}
declare module '@digitalbazaar/credentials-context' {
  export const contexts: Map<string, unknown>;
}
declare module 'jsonld' {
  const jsonld: {
    expand(input: unknown, options: { documentLoader: (url: string) => Promise<{ contextUrl: null; documentUrl: string; document: unknown }>; safe?: boolean }): Promise<unknown[]>;
  };
  export default jsonld;
}

/**
 * What a protocol knows about the connection it serves: the two ends'
 * addresses, and for TLS the verified client certificate.
 */
export interface PeerCertificate {
  /** The subject's fields (CN, O, OU, ...), as the certificate gives them. */
  readonly subject: Readonly<Record<string, string | string[] | undefined>>;
  readonly issuer: Readonly<Record<string, string | string[] | undefined>>;
  readonly serialNumber: string;
  readonly fingerprint256: string;
  readonly validFrom: string;
  readonly validTo: string;
}

export interface ConnectionInfo {
  /** A number unique within the process. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly family: 'IPv4' | 'IPv6';
  readonly secure: boolean;
  /** Which of the server's interfaces accepted it: its place in the order they were given (0 when there is one, or none). */
  readonly listener?: number;
  /** TLS connections: the client certificate, when one was presented and verified. */
  readonly peerCertificate?: PeerCertificate;
}

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
  /**
   * Set when a trusted proxy told us who the client is (its forwarding
   * fields, read by the trusted-proxy stage): the connection as it really
   * is, its peer being that proxy. The fields above then describe the
   * client: its address and port, and `secure` for the scheme it used.
   */
  readonly peer?: ConnectionInfo;
  /**
   * Set on a connection that arrived through a PROXY protocol relay (a TCP
   * load balancer): the relay's own address and port. The fields above are
   * then the ones its header gave.
   */
  readonly relay?: { readonly address: string; readonly port: number };
}

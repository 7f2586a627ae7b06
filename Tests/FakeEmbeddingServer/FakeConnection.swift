import NIOCore
import NIOHTTP1

/// One client connection: reads requests (keep-alive), asks the service for answers and writes them, closing early
/// when a drop is due.
struct FakeConnection: Sendable {
    let service: FakeEmbeddingService

    func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var arrival = 0.0
            var auth = RequestRecord.Authorization.missing
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                    arrival = service.state.now()
                    auth = service.authorization(h.headers.first(name: "authorization"))
                    let faults = service.state.faults
                    if faults.dropPoint == .midRequest && service.state.fires(\.drop) {
                        service.state.record(RequestRecord(arrival: arrival, path: h.uri, items: 0, tokens: 0, status: 0,
                                                           fault: "drop.midRequest", authorization: auth), inputs: [])
                        return  // executeThenClose closes the connection without a byte of answer
                    }
                case .body(var buffer):
                    body += buffer.readBytes(length: buffer.readableBytes) ?? []
                case .end:
                    guard let request = head else { continue }
                    let path = String(request.uri.split(separator: "?", maxSplits: 1).first ?? "")
                    let response = await service.respond(method: request.method.rawValue, path: path, auth: auth,
                                                         body: body, arrival: arrival)
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "content-length", value: String(response.body.count))
                    try await outbound.write(.head(HTTPResponseHead(version: request.version,
                                                                    status: HTTPResponseStatus(statusCode: response.status),
                                                                    headers: headers)))
                    let bytes = response.dropHalfway ? Array(response.body.prefix(response.body.count / 2)) : response.body
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                    if response.dropHalfway { return }
                    try await outbound.write(.end(nil))
                    if !request.isKeepAlive { return }
                    head = nil
                }
            }
        }
    }
}

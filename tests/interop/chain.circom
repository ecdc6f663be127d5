pragma circom 2.0.0;

// y_0 = x0, y_{i+1} = y_i^2 + x1 (N steps), out = y_N * x2: three inputs, two
// of them public, and one output; pouw's interop tests prove and verify it
// with snarkjs and pouw in both directions.
template Chain(N) {
    signal input x0;
    signal input x1;
    signal input x2;
    signal output out;
    signal y[N + 1];
    y[0] <== x0;
    for (var i = 0; i < N; i++) {
        y[i + 1] <== y[i] * y[i] + x1;
    }
    out <== y[N] * x2;
}

component main {public [x1, x2]} = Chain(40);

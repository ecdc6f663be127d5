pragma circom 2.0.0;

// A tiny circuit for pouw's Groth16 fixtures: out = a*b*c + a, with a private
// product and two public inputs.
template MulAdd() {
    signal input a;
    signal input b;
    signal input c;
    signal output out;
    signal ab;
    ab <== a * b;
    out <== ab * c + a;
}

component main {public [c]} = MulAdd();

pragma circom 2.0.0;

template Mul3() {
    signal input a;
    signal input b;
    signal input k;
    signal output c;
    signal t;
    t <== a * b;
    c <== t * k + a;
}

component main {public [k]} = Mul3();

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Vault
/// @notice DELIBERATELY VULNERABLE test fixture for `pqoracle audit`: never deploy it.
/// `withdraw` sends ether before it clears the balance (reentrancy: a receiving contract can
/// call `withdraw` again and drain the vault), and `sweep` authorises by `tx.origin`, so any
/// contract the owner calls can sweep the vault.
contract Vault {
    mapping(address account => uint256 amount) public balances;
    address public owner;

    constructor() {
        owner = msg.sender;
    }

    function deposit() external payable {
        balances[msg.sender] += msg.value;
    }

    function withdraw() external {
        uint256 amount = balances[msg.sender];
        (bool ok,) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");
        balances[msg.sender] = 0;
    }

    function sweep(address payable to) external {
        require(tx.origin == owner, "not owner");
        to.transfer(address(this).balance);
    }
}
